package devpod

// ConfigFromEnv returns the provider's Config from the executor's environment: PATH, and the
// backends' credential variables through getenv at each job. DEVPOD_HOME is not read: the
// executor's home for devpod is its "home" setting, so that a developer's own ~/.devpod is
// never used by accident.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{PATH: getenv("PATH"), Getenv: getenv}
}
