package app

import (
	"errors"

	barong "github.com/barong-go/barong"
)

func isNotFound(err error) bool { return errors.Is(err, barong.ErrNotFound) }

func asDup(err error, d **barong.DuplicateError) bool { return errors.As(err, d) }
