package api

// mapDomainError maps typed errors of the packages below the API to
// problems; nil means the error is not one of them.
func mapDomainError(err error) *Problem {
	if p := storeProblem(err); p != nil {
		return p
	}
	return nil
}
