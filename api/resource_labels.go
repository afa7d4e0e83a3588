package api

import (
	barong "github.com/barong-go/barong"
	"net/http"
)

func (s *Server) handleListLabels(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.label")
	if err != nil {
		return err
	}
	ordering := "asc"
	if p.Has("ordering") {
		ordering = p.String("ordering")
		if ordering != "asc" && ordering != "desc" {
			p.Invalid("value")
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	labels, err := s.app.Labels.List(r.Context(), barong.UserActor(c.User), ordering == "desc")
	if err != nil {
		return err
	}
	out := entities(labels, labelEntity)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleGetLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	l, err := s.app.Labels.Get(r.Context(), barong.UserActor(c.User), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, labelEntity(l))
	return nil
}

func (s *Server) handleCreateLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.label")
	if err != nil {
		return err
	}
	key, value := p.Required("key"), p.Required("value")
	if err := p.Err(); err != nil {
		return err
	}
	l, err := s.app.Labels.Create(r.Context(), barong.UserActor(c.User), key, value)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, labelEntity(l))
	return nil
}

func (s *Server) handleUpdateLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.label")
	if err != nil {
		return err
	}
	value := p.Required("value")
	if err := p.Err(); err != nil {
		return err
	}
	l, err := s.app.Labels.Update(r.Context(), barong.UserActor(c.User), r.PathValue("key"), value)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, labelEntity(l))
	return nil
}

func (s *Server) handleDeleteLabel(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.app.Labels.Delete(r.Context(), barong.UserActor(c.User), r.PathValue("key")); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}
