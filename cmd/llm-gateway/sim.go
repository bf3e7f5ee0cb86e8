package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// runSim serves the Bedrock Runtime simulator until ctx ends. It accepts the
// signatures of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from its own
// environment, so that a gateway started from the same shell agrees with it.
func runSim(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bedrock-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4010", "address to listen on (host:port)")
	region := fs.String("region", firstNonEmpty(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1"), "region the signatures must be scoped to")
	latency := fs.Duration("latency", 0, "delay before every answer, e.g. 300ms")
	tokenDelay := fs.Duration("token-delay", 0, "delay between streamed pieces of text")
	modelsFile := fs.String("models-file", getenv("MODELS_FILE"), "catalog additions and overrides, as the gateway's MODELS_FILE")
	anyModel := fs.Bool("any-model", false, "accept any well-formed model ID instead of the catalog's models and rules")
	missingOptIns := fs.Bool("missing-opt-ins", false, "act as an account that has not accepted models' one-time agreements (Claude Fable's data retention)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var models []bedrocksim.Model
	var account []bedrocksim.AccountModel
	if !*anyModel {
		// The simulator answers for the models the gateway knows, with
		// their rules, as Bedrock would.
		cat, err := catalog.Load(catalog.Options{Region: *region, File: *modelsFile, Logger: log})
		if err != nil {
			return err
		}
		models, account = simModels(cat), simAccount(cat)
	}
	opts := bedrocksim.Options{
		Catalog:         models,
		Account:         account,
		PriceLocation:   catalog.PriceLocation(*region),
		MissingOptIns:   *missingOptIns,
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		Region:          *region,
		Latency:         *latency,
		TokenDelay:      *tokenDelay,
		Logger:          log,
	}
	if opts.AccessKeyID == "" {
		log.Warn("AWS_ACCESS_KEY_ID is not set: signatures are not verified")
	}
	return bedrocksim.ListenAndServe(ctx, *addr, opts, func(a net.Addr) {
		fmt.Fprintf(stdout, "Bedrock simulator listening on http://%s\nPoint the gateway at it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://%s\n(models check: AWS_ENDPOINT_URL_BEDROCK and AWS_ENDPOINT_URL_PRICING, same address)\n", a, a)
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
