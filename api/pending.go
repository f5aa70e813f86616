package api

import "github.com/go-chi/chi/v5"

func (s *Server) mountRecommendations(r chi.Router) {}
func (s *Server) mountPresets(r chi.Router)         {}
func (s *Server) mountProducts(r chi.Router)        {}
func (s *Server) mountSettings(r chi.Router)        {}
func (s *Server) mountInvoices(r chi.Router)        {}
func (s *Server) mountSubscriptions(r chi.Router)   {}
func (s *Server) mountAnalytics(r chi.Router)       {}
func (s *Server) mountBacktests(r chi.Router)       {}

type Planner interface{}
