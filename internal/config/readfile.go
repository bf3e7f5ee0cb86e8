package config

// maxSettingsFileBytes bounds .env and API_KEYS_FILE.
const maxSettingsFileBytes = 1 << 20
