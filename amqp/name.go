package amqp

import (
	"errors"
	"fmt"
	"strings"
)

// ExchangePrefix is prepended to an event's category to name its exchange:
// "model" → "barong.events.model" (reference §9.1).
const ExchangePrefix = "barong.events."

// ExchangeKind is the AMQP type of every Event API exchange.
const ExchangeKind = "direct"

// maxShortStr is the AMQP 0-9-1 limit for exchange names and routing keys.
const maxShortStr = 255

// ErrInvalidEventName is returned (wrapped) for an event name that cannot be
// split into a category and a routing key.
var ErrInvalidEventName = errors.New("amqp: invalid event name")

// Route splits an event name at its first dot into the exchange and the
// routing key: "model.user.created" → ("barong.events.model",
// "user.created"). The category must be non-empty and made of letters,
// digits, '-', '_' or ':' (the characters AMQP allows in exchange names,
// dots excluded by construction); the routing key must be non-empty. Both
// must fit an AMQP short string (255 bytes). Any other name yields an error
// wrapping ErrInvalidEventName.
func Route(eventName string) (exchange, routingKey string, err error) {
	category, rest, ok := strings.Cut(eventName, ".")
	switch {
	case !ok:
		return "", "", fmt.Errorf("%w: %q has no category (no dot)", ErrInvalidEventName, eventName)
	case category == "":
		return "", "", fmt.Errorf("%w: %q has an empty category", ErrInvalidEventName, eventName)
	case rest == "":
		return "", "", fmt.Errorf("%w: %q has an empty routing key", ErrInvalidEventName, eventName)
	case !validCategory(category):
		return "", "", fmt.Errorf("%w: %q has an invalid category", ErrInvalidEventName, eventName)
	case len(ExchangePrefix)+len(category) > maxShortStr:
		return "", "", fmt.Errorf("%w: category of %q is too long", ErrInvalidEventName, eventName)
	case len(rest) > maxShortStr:
		return "", "", fmt.Errorf("%w: routing key of %q is too long", ErrInvalidEventName, eventName)
	}
	return ExchangePrefix + category, rest, nil
}

func validCategory(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}
