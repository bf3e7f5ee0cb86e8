package catalog

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/boundedfile"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

//go:embed models.json
var embeddedModels []byte

// embeddedFile names the embedded data file in error messages.
const embeddedFile = "models.json (embedded)"

// DefaultRegion is the AWS Region used when Options.Region is empty.
const DefaultRegion = "us-east-1"

// Log attribute keys.
const (
	logKeyRegion     = "region"
	logKeyModels     = "models"
	logKeyFile       = "file"
	logKeyAdded      = "added"
	logKeyOverridden = "overridden"
)

// Options configure Load. The zero value loads the embedded catalog for
// us-east-1.
type Options struct {
	// Region is the AWS Region the gateway calls Bedrock in; it decides which
	// inference profile a short name resolves to. If empty, DefaultRegion.
	Region string
	// File is the path of a user models file (MODELS_FILE): a JSON array in
	// the embedded file's format whose objects add models or, when their
	// name matches an existing model, override only the fields they give.
	// If empty, only the embedded catalog is loaded.
	File string
	// Logger receives a summary of what was loaded. If nil, logs are
	// discarded.
	Logger *slog.Logger
	// Now reads the clock: a model whose end_of_life date has come is
	// loaded as end-of-life whatever its status says, so a binary built
	// before the date refuses it after; Models marks a model released in
	// the last 90 days by it as new. If nil, time.Now.
	Now func() time.Time
}

// Load reads the embedded catalog, applies the user file if any, validates
// the result and resolves it for the Region. A malformed file gives an error
// naming the file, line and column; an invalid catalog gives every problem
// found, joined, each naming its model.
func Load(opts Options) (*Catalog, error) {
	region := strings.ToLower(strings.TrimSpace(opts.Region))
	if region == "" {
		region = DefaultRegion
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	m := &merger{index: make(map[string]int)}
	if err := m.apply(embeddedFile, embeddedModels); err != nil {
		return nil, fmt.Errorf("load model catalog: %w", err)
	}
	builtin := len(m.specs)
	if opts.File != "" {
		data, err := boundedfile.Read(opts.File, maxModelsFileBytes)
		if err != nil {
			return nil, fmt.Errorf("load model catalog: read models file: %w", err)
		}
		m.overridden = 0
		if err := m.apply(opts.File, data); err != nil {
			return nil, fmt.Errorf("load model catalog: %w", err)
		}
		log.Info("models file applied", logKeyFile, opts.File,
			logKeyAdded, len(m.specs)-builtin, logKeyOverridden, m.overridden)
	}

	if errs := validate(m.specs); len(errs) > 0 {
		return nil, fmt.Errorf("load model catalog: %w", errors.Join(errs...))
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	loaded := now()
	today := loaded.UTC().Format(time.DateOnly)
	for i := range m.specs {
		// Validated dates compare as strings.
		if s := &m.specs[i]; s.EndOfLife != "" && s.EndOfLife <= today && s.Status != gateway.StatusEndOfLife {
			log.Debug("model past its end of life", "model", s.Name, "end_of_life", s.EndOfLife)
			s.Status = gateway.StatusEndOfLife
		}
	}
	c := newCatalog(m.specs, region, loaded)
	c.now = now
	log.Debug("model catalog loaded", logKeyRegion, region, logKeyModels, len(c.models))
	return c, nil
}

// merger accumulates specs from successive data files.
type merger struct {
	specs      []spec
	index      map[string]int // lower-case name -> position in specs
	overridden int            // entries the last file changed
}

// apply decodes one data file onto the specs so far: new names are added,
// known names are overridden field by field. A name may appear only once in
// one file.
func (m *merger) apply(file string, data []byte) error {
	if len(m.specs) == 0 && m.addFresh(data) {
		return nil
	}
	return m.applyEntries(file, data)
}

// addFresh adds the models of the first file (the embedded catalog, read at
// every start) decoded in one go: applyEntries reads the file some six times
// over to place each problem at a line and column, about half of a stdio
// gateway's start-up work. It adds nothing and reports false on a problem
// (but an unknown field, see decodeFresh), for applyEntries to find and
// place it.
func (m *merger) addFresh(data []byte) bool {
	specs, ok := decodeFresh(data)
	if !ok {
		return false
	}
	index := make(map[string]int, len(specs))
	for i := range specs {
		key := strings.ToLower(specs[i].Name)
		if _, dup := index[key]; dup || key == "" {
			return false
		}
		index[key] = i
	}
	m.specs, m.index = specs, index
	return true
}

// applyEntries is apply entry by entry, each problem placed in the file.
func (m *merger) applyEntries(file string, data []byte) error {
	entries, err := splitEntries(file, data)
	if err != nil {
		return err
	}
	var errs []error
	seen := make(map[string]int) // lower-case name -> entry number in this file
	for i, e := range entries {
		name := entryName(e)
		key := strings.ToLower(name)
		if name == "" {
			errs = append(errs, fmt.Errorf("%s:%s: model #%d (no name): name is required",
				file, lineCol(data, e.offset), i+1))
			continue
		}
		if first, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s:%s: model %q: duplicate name (also model #%d of this file)",
				file, lineCol(data, e.offset), name, first+1))
			continue
		}
		seen[key] = i
		if at, ok := m.index[key]; ok {
			original := m.specs[at].Name // an override may spell it in another case
			if err := decodeInto(file, data, e, name, &m.specs[at]); err != nil {
				errs = append(errs, err)
			}
			m.specs[at].Name = original
			m.overridden++
			continue
		}
		var s spec
		if err := decodeInto(file, data, e, name, &s); err != nil {
			errs = append(errs, err)
			continue
		}
		m.index[key] = len(m.specs)
		m.specs = append(m.specs, s)
	}
	return errors.Join(errs...)
}
