package main

import (
	"fmt"

	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
)

// smartFamily returns the planner policies of an eval run for the
// --smart-family flag: the registered ones (the logistic smart policy),
// the latent-class mixture instead of them, or both.
func smartFamily(family string) ([]simulator.NamedPlanner, error) {
	switch family {
	case "", "logistic":
		return evalPlanners, nil
	case "mixture":
		return []simulator.NamedPlanner{smartsim.EvalMixturePlanner(smartsim.TrainOptions{})}, nil
	case "both":
		return append(append([]simulator.NamedPlanner(nil), evalPlanners...), smartsim.EvalMixturePlanner(smartsim.TrainOptions{})), nil
	}
	return nil, fmt.Errorf("--smart-family: %q is not a family (logistic, mixture or both)", family)
}
