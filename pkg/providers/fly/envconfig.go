package fly

// ConfigFromEnv builds a Config from the variables the mains read, through getenv (this
// package reads no environment itself): FLY_API_TOKEN, and FLY_API_URL for another Machines
// API root (a fake, or http://_api.internal:4280/v1 inside Fly's private network).
// pkg/providers/builtin adds the provider block's settings on top.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		Token:    getenv(DefaultTokenVar),
		TokenVar: DefaultTokenVar,
		APIURL:   getenv("FLY_API_URL"),
	}
}
