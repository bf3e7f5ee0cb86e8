package main

// The README's model table is generated from the catalog.
//go:generate go run . models table --write ../../README.md
