package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// origins is ALLOWED_ORIGINS: comma-separated browser origins, each
// scheme://host[:port] with no path, as browsers send them in Origin.
func origins(ptr func(*Config) *[]string) field {
	return typed[[]string]{
		ptr:  ptr,
		show: func(o []string) string { return strings.Join(o, ",") },
		parse: func(s string) ([]string, error) {
			var out []string
			var errs []error
			for _, o := range strings.Split(s, ",") {
				o = strings.TrimSpace(o)
				if o == "" {
					continue
				}
				if err := checkOrigin(o); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", quoteIfNeeded(o), err))
					continue
				}
				out = append(out, o)
			}
			return out, errors.Join(errs...)
		},
	}
}

func checkOrigin(o string) error {
	if o == "*" {
		return errors.New("a wildcard would let every web page call the gateway; list the origins")
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("want scheme://host[:port], e.g. https://app.example.com")
	}
	return nil
}
