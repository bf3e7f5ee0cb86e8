package catalog

// maxModelsFileBytes bounds MODELS_FILE: the built-in catalog is a few
// dozen KiB.
const maxModelsFileBytes = 8 << 20
