package providers

// Credential returns the value of the job credential name (see Spec.Credentials), or "" when
// the job carries none of that name.
func (s *Spec) Credential(name string) string {
	if s == nil {
		return ""
	}
	for _, c := range s.Credentials {
		if c.Name == name && c.Value != nil {
			return c.Value.Reveal()
		}
	}
	return ""
}
