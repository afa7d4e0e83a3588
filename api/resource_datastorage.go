package api

import (
	barong "github.com/barong-go/barong"
	"net/http"
)

func (s *Server) handleCreateDataStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.datastorage")
	if err != nil {
		return err
	}
	title, data := p.Required("title"), p.Required("data")
	if err := p.Err(); err != nil {
		return err
	}
	if _, err := s.app.DataStorage.Create(r.Context(), barong.UserActor(c.User), title, data); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}
