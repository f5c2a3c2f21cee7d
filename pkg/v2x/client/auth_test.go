package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// An edge with credentials admits the SDK vehicle holding a token over every transport, and
// refuses the one without, at once and with the server's code.
func TestTokenOverEveryTransport(t *testing.T) {
	fleet := auth.NewToken()
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	require.NoError(t, os.WriteFile(path, []byte("credentials:\n"+auth.Entry("*", auth.Vehicle, fleet)), 0o600))
	for _, tr := range allTransports {
		t.Run(tr.name, func(t *testing.T) {
			o := edgeOpts(t, tr)
			o.Credentials = path
			n, _ := runEdge(t, o)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := client.Dial(ctx, vehicleOpts(n, tr, 21))
			ce, ok := errors.AsType[*client.ConnectError](err)
			require.True(t, ok, "%v", err)
			require.NotZero(t, ce.Code, "refused by the server: %v", err)
			require.NoError(t, ctx.Err(), "refused at once, not retried until the deadline")

			withToken := func(o *client.Options) { o.Token = fleet }
			v := dialVehicle(t, n, tr, 22, withToken)
			at(t, v, here)
			reporter := dialVehicle(t, n, tr, 23, withToken)
			report(t, reporter, client.Hazard{Cause: v2x.CauseObstacle, Pos: here})
			a := nextAlert(t, v)
			cause, _ := a.DENM.Cause()
			require.Equal(t, uint8(v2x.CauseObstacle), cause)

			// Road works are an authority's: the edge refuses them from a vehicle, and says so.
			_, err = reporter.Report(ctx, client.Hazard{Cause: v2x.CauseRoadworks, Pos: here})
			if tr.mqtt() {
				require.ErrorContains(t, err, "reason 0x87", "the PUBACK's reason code")
			}
			testutil.CheckFor(t, 5*time.Second, func() error {
				if reporter.Stats().Rejected == 0 {
					return errors.New("the refusal was not counted yet")
				}
				return nil
			})
		})
	}
}

// With AlertKeys a vehicle takes only alerts signed by those keys, over every transport.
func TestAlertKeys(t *testing.T) {
	for _, tr := range allTransports {
		t.Run(tr.name, func(t *testing.T) {
			n := startEdge(t, tr)
			trusting := dialVehicle(t, n, tr, 31, func(o *client.Options) { o.AlertKeys = v2x.NewKeySet(n.AlertKey()) })
			other, _, err := ed25519.GenerateKey(nil)
			require.NoError(t, err)
			wary := dialVehicle(t, n, tr, 32, func(o *client.Options) { o.AlertKeys = v2x.NewKeySet(other) })
			at(t, trusting, here)
			at(t, wary, here)
			report(t, dialVehicle(t, n, tr, 33), client.Hazard{Cause: v2x.CauseObstacle, Pos: here})

			a := nextAlert(t, trusting)
			require.Equal(t, v2x.KeyID(n.AlertKey()), a.KeyID)

			// A vehicle that arrives later gets the hazard replayed (MQTT: the retained copy) or
			// offered (native), signed all the same.
			late := dialVehicle(t, n, tr, 34, func(o *client.Options) { o.AlertKeys = v2x.NewKeySet(n.AlertKey()) })
			at(t, late, here)
			a = nextAlert(t, late)
			require.Equal(t, tr.mqtt(), a.Replayed)
			require.Equal(t, v2x.KeyID(n.AlertKey()), a.KeyID)
			testutil.CheckFor(t, 5*time.Second, func() error {
				if wary.Stats().AlertsUnverified == 0 {
					return errors.New("the alert signed by an untrusted key was not refused yet")
				}
				return nil
			})
			require.Zero(t, wary.Stats().AlertsDelivered)
		})
	}
}
