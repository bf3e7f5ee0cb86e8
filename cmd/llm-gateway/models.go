package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

const modelsUsage = `usage: llm-gateway models table [--write FILE] [--region R]
       llm-gateway models check [--write FILE] [--region R]
  table   print the catalog as the README's Markdown model table; with --write,
          replace the table between the markers in FILE (the README)
  check   ask your AWS account (Bedrock's control plane and the AWS Price List)
          what it can call from the Region and at what price, and print every
          difference from the catalog; with --write, write a MODELS_FILE that
          corrects them
`

// runModels runs the catalog commands.
func runModels(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "check" {
		return runModelsCheck(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "table" {
		fmt.Fprint(stderr, modelsUsage)
		return exitError(2)
	}
	fs := flag.NewFlagSet("models table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.String("write", "", "replace the models table in this Markdown file instead of printing it")
	region := fs.String("region", "us-east-1", "the Region whose prices the table shows")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	table, err := modelsTable(*region)
	if err != nil {
		return err
	}
	if *write == "" {
		_, err := io.WriteString(stdout, table)
		return err
	}
	doc, err := os.ReadFile(*write)
	if err != nil {
		return err
	}
	out, err := catalog.ReplaceTable(string(doc), table)
	if err != nil {
		return fmt.Errorf("%s: %w", *write, err)
	}
	return os.WriteFile(*write, []byte(out), 0o644) //nolint:gosec // a MODELS_FILE the user asked for: prices and model names, no secret
}

// modelsTable renders the embedded catalog as of the day its data was
// checked, so that the table changes only when the data does.
func modelsTable(region string) (string, error) {
	cat, err := catalog.Load(catalog.Options{Region: region, Now: func() time.Time { return catalog.DataChecked }})
	if err != nil {
		return "", err
	}
	return cat.MarkdownTable(), nil
}
