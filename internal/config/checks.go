package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/llm-gateway/llm-gateway/internal/boundedfile"
)

// The guardrail patterns are compiled only when a guardrail is set.
var (
	guardrailIDRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$`)
	})
	guardrailVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([1-9][0-9]{0,7}|DRAFT)$`) })
)

// check validates what no single setting can: combinations, and files that
// must exist. Settings that already failed to parse are skipped so that one
// mistake gives one message.
func (l *loader) check(c *Config, dir string) []error {
	var errs []error
	ok := func(key string) bool { return !l.bad[key] }

	if ok("CACHE_ENABLED") && ok("CACHE_TTL") && c.CacheEnabled && c.CacheTTL == 0 {
		errs = append(errs, l.from["CACHE_TTL"].errorf(
			"must be positive while the cache is enabled, e.g. 3600 (or set CACHE_ENABLED=false)"))
	}

	// The SDK silently ignores half a pair of static credentials and falls
	// back to its chain; that is never what the user meant.
	id, secret, token := l.from["AWS_ACCESS_KEY_ID"], l.from["AWS_SECRET_ACCESS_KEY"], l.from["AWS_SESSION_TOKEN"]
	switch {
	case c.AccessKeyID != "" && c.SecretAccessKey == "":
		errs = append(errs, id.errorf("set without AWS_SECRET_ACCESS_KEY: set both, or neither to use the SDK's credential chain"))
	case c.AccessKeyID == "" && c.SecretAccessKey != "":
		errs = append(errs, secret.errorf("set without AWS_ACCESS_KEY_ID: set both, or neither to use the SDK's credential chain"))
	case c.SessionToken != "" && c.AccessKeyID == "":
		errs = append(errs, token.errorf("set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which it belongs to"))
	}

	if (c.GuardrailID == "") != (c.GuardrailVersion == "") {
		errs = append(errs, l.from["GUARDRAIL_ID"].errorf("and GUARDRAIL_VERSION go together: set both (e.g. GUARDRAIL_VERSION=1 or DRAFT), or neither"))
	}
	// Bedrock's own patterns for guardrailIdentifier and guardrailVersion:
	// a malformed one would otherwise be accepted here and then fail every
	// call, blamed on its caller.
	if c.GuardrailID != "" && (len(c.GuardrailID) > 2048 || !guardrailIDRE().MatchString(c.GuardrailID)) {
		errs = append(errs, l.from["GUARDRAIL_ID"].errorf("want a guardrail ID (lowercase letters and digits, e.g. gr1abc2def3) or its ARN (arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID)"))
	}
	if c.GuardrailVersion != "" && !guardrailVersionRE().MatchString(c.GuardrailVersion) {
		errs = append(errs, l.from["GUARDRAIL_VERSION"].errorf("want a version number (1 to 99999999) or DRAFT"))
	}

	if c.ModelsFile != "" {
		c.ModelsFile = resolve(dir, c.ModelsFile)
		if err := checkFile(c.ModelsFile); err != nil {
			errs = append(errs, l.from["MODELS_FILE"].errorf("%w", err))
		}
	}

	keys := c.APIKeys
	if c.APIKeysFile != "" {
		c.APIKeysFile = resolve(dir, c.APIKeysFile)
		from := l.from["API_KEYS_FILE"]
		if err := checkFile(c.APIKeysFile); err != nil {
			errs = append(errs, from.errorf("%w", err))
		} else if data, err := boundedfile.Read(c.APIKeysFile, maxSettingsFileBytes); err != nil {
			errs = append(errs, from.errorf("%w", err))
		} else {
			more, err := parseAPIKeysFile(string(data))
			for _, err := range unjoin(err) {
				errs = append(errs, from.errorf("%w", err))
			}
			keys = append(keys[:len(keys):len(keys)], more...)
		}
	}
	errs = append(errs, checkAPIKeys(append(keys[:len(keys):len(keys)], c.AdminKeys...))...)
	c.APIKeys = keys

	if c.PolicyFile != "" {
		c.PolicyFile = resolve(dir, c.PolicyFile)
		if err := checkFile(c.PolicyFile); err != nil {
			errs = append(errs, l.from["POLICY_FILE"].errorf("%w", err))
		}
	}
	return errs
}

// resolve makes a relative path relative to dir, the directory Load was
// given, so that a path means the same whatever the process's directory.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

func checkFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no such file: %s", path)
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory, want a file", path)
	}
	return nil
}
