package northflank

// ServiceID is the service id of env of repo with no serviceName prefix, for tests.
func ServiceID(repo, env string) string { return slug(namesFor("", repo, env).service) }

// OwnProjectID is the id of env's own project, for tests.
func OwnProjectID(repo, env string) string { return namesFor("", repo, env).project }
