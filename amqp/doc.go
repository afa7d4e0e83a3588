// Package amqp publishes Barong's Event API to RabbitMQ (reference §9.1).
//
// An event named "<category>.<rest>" (for example "model.user.created" or
// "system.user.email.confirmation.token") goes to the exchange
// "barong.events.<category>" with routing key "<rest>". The exchange is
// declared exactly as Barong and its consumers declare it: direct,
// non-durable, not auto-delete, not internal. A durable declaration
// elsewhere would make the broker refuse one side with PRECONDITION_FAILED,
// so these properties must not change.
//
// The body is published unchanged (it is already the signed JWS built by the
// caller) with the message properties Barong's Ruby client (Bunny 2.x) puts
// on every message: content type "application/octet-stream", delivery mode
// 2 (persistent) and priority 0.
//
// A [Publisher] connects lazily, so the server starts while RabbitMQ is down.
// It puts its channel in confirm mode and Publish returns only when the
// broker has confirmed the message: the outbox relay that calls it marks an
// event sent only then. After any connection or channel error the
// connection is dropped and the next call dials again.
package amqp
