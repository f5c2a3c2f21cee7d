package client_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/auth"
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
		})
	}
}
