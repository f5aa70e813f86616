package main

import (
	"fmt"

	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
)

// smartFamily returns the planner policies of an eval run for the
// --smart-family flag: the latent-class mixture as the smart policy (the
// default: it captures more of the oracle's uplift in every world and
// budget of the closing note), the registered logistic smart policy, or
// both (the mixture then named smart-mixture).
func smartFamily(family string) ([]simulator.NamedPlanner, error) {
	switch family {
	case "", "mixture":
		return []simulator.NamedPlanner{smartsim.EvalMixturePlanner("smart", smartsim.TrainOptions{})}, nil
	case "logistic":
		return evalPlanners, nil
	case "both":
		return append(append([]simulator.NamedPlanner(nil), evalPlanners...), smartsim.EvalMixturePlanner("smart-mixture", smartsim.TrainOptions{})), nil
	}
	return nil, fmt.Errorf("--smart-family: %q is not a family (logistic, mixture or both)", family)
}
