# barong-go in a container: a static binary (CGO_ENABLED=0; SQLite is
# modernc's pure-Go driver) on distroless, run as the nonroot user.
#
#   docker build -t barong-go --build-arg GIT_SHA=$(git rev-parse HEAD) .
#
# Keys and the SQLite default live in /data (a volume). deploy/compose.yaml
# runs it with PostgreSQL, Redis, RabbitMQ and nginx.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG GIT_SHA=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/barong-go/barong/internal/server.GitSHA=${GIT_SHA} -X github.com/barong-go/barong/internal/server.BuildDate=${BUILD_DATE}" \
      -o /out/barong ./cmd/barong \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/barong /usr/local/bin/barong
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /data
ENV BARONG_HTTP_ADDR=:8000 \
    BARONG_LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8000
VOLUME /data
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/barong", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/barong"]
CMD ["serve"]
