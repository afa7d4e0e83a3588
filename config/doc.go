// Package config gathers the whole configuration of barong-go: Barong's
// environment variables (reference §2.2–2.3) under Barong's own names and
// with Barong's defaults, barong-go's additions (interface §3), and the YAML
// files barong.yml, authz_rules.yml, seeds.yml, management_api.yml and
// abilities.yml, each with a built-in default equal to Barong's
// (embedded from defaults/).
//
// [Load] reads everything through a getenv function (production passes
// os.LookupEnv) and either returns a complete [Config] or one [*Error] that
// lists every problem, one line each, naming the variable or file. It never
// returns a half-filled configuration.
//
// # Environment variables
//
// Each setting is one row of a table (options.go): its variable name (Barong's
// name first, then accepted aliases), default, parser and whether it is a
// secret. A variable set to the empty string counts as unset. Parsers are
// strict: integers are decimal digits only, booleans exactly "true" or
// "false", lists are comma-separated with blanks trimmed, enumerations must
// name one of their values. Secrets never appear in error messages nor in
// [Config.Redacted] / [Config.LogValue], and passwords inside URLs are
// hidden.
//
// # YAML files and interpolation
//
// Barong runs its YAML files through ERB; barong-go instead expands
// environment references before parsing, using the same getenv:
//
//   - ${NAME} is replaced by the value of NAME (empty when unset);
//   - $NAME is replaced likewise when NAME is made only of upper-case
//     letters, digits and underscores (so "$2a$12$Ab..." bcrypt strings and
//     "pa$word" are left alone);
//   - $$ is a literal $; any other $ stays as it is.
//
// A file variable left unset selects the default path (config/barong.yml
// etc., relative to the working directory); when the default path does not
// exist the built-in default is used. A path that was named explicitly and
// does not exist is an error.
package config
