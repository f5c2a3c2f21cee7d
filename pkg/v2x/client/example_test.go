package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// A vehicle connects, sends its state, and is warned of an accident that another vehicle
// reports 300 m ahead. (An edge node runs in-process here; a real vehicle dials its roadside
// edge, e.g. "quic://edge.example.org:4433" with TLS.PinnedFingerprint or TLS.CAFile.)
func Example() {
	ctx := context.Background()
	url, stopEdge := runExampleEdge()

	paris := geo.Point{Lat: 48.8566, Lon: 2.3522}
	car, err := client.Dial(ctx, client.Options{URL: url, StationID: 1001})
	if err != nil {
		log.Fatal(err)
	}
	defer car.Close()
	// The first state also subscribes the car to the hazards of its tile and the 8 around it.
	if err := car.SendState(ctx, client.State{Pos: paris, SpeedMPS: 13.9, HeadingDeg: 90}); err != nil {
		log.Fatal(err)
	}

	other, err := client.Dial(ctx, client.Options{URL: url, StationID: 1002})
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close()
	defer stopEdge() // runs first: the edge stops while the vehicles are connected
	accident := geo.Destination(paris, 90, 300)
	if _, err := other.Report(ctx, client.Hazard{Cause: v2x.CauseAccident, Pos: accident}); err != nil {
		log.Fatal(err)
	}

	select {
	case a := <-car.Alerts():
		cause, _ := a.DENM.Cause()
		fmt.Printf("%s %.0f m ahead, over %s\n", v2x.CauseName(cause), geo.Distance(paris, a.DENM.EventPosition()), a.Transport)
	case <-time.After(5 * time.Second):
		fmt.Println("no alert")
	}
	// Output: accident 300 m ahead, over mqtt-tcp
}

// runExampleEdge starts an edge node on a free loopback port and returns its MQTT/TCP URL and a
// function that stops it.
func runExampleEdge() (url string, stop func()) {
	n, err := edge.New(edge.Options{MQTTAddr: "127.0.0.1:0", WSAddr: edge.Off, MQTTQUICAddr: edge.Off, QUICAddr: edge.Off, HTTPAddr: edge.Off})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	<-n.Ready()
	return "tcp://" + n.MQTTAddr(), func() { cancel(); <-done }
}

// The ETSI rules decide when a vehicle sends a CAM: checked every 100 ms, a car at 50 km/h
// sends every 300 ms (each 4 m); stopping (at once, here) is a CAM of its own 100 ms after the
// last, and that interval is kept for 3 more CAMs before the standing car falls back to 1 Hz.
// A Sender (client.NewSender) applies the same rules to a Client.
func ExampleCAMGenerator() {
	start := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	road := geo.Point{Lat: 48.8566, Lon: 2.3522}
	var g client.CAMGenerator
	for e := time.Duration(0); e <= 3*time.Second; e += client.TCheckCamGen {
		st := client.State{Pos: geo.Destination(road, 90, 13.9*e.Seconds()), SpeedMPS: 13.9, HeadingDeg: 90}
		if e >= time.Second { // it stops 13.9 m on
			st = client.State{Pos: geo.Destination(road, 90, 13.9), SpeedMPS: 0, HeadingDeg: 90}
		}
		if t := g.Check(start.Add(e), st); t != client.CAMNotDue {
			fmt.Println(e, t)
		}
	}
	// Output:
	// 0s first
	// 300ms position
	// 600ms position
	// 900ms position
	// 1s speed
	// 1.1s gen-interval
	// 1.2s gen-interval
	// 1.3s gen-interval
	// 2.3s max-interval
}
