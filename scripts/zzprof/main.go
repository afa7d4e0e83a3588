package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"

	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
)

func main() {
	go http.ListenAndServe("127.0.0.1:6060", nil)
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		panic(err)
	}
	log := slog.New(slog.DiscardHandler)
	s, err := server.Open(context.Background(), cfg, log)
	if err != nil {
		panic(err)
	}
	s.Start(context.Background())
	ln, _ := net.Listen("tcp", cfg.HTTPAddr)
	panic(s.Serve(context.Background(), ln))
}
