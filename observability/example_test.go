package observability_test

import (
	"context"
	"fmt"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/observability"
)

// A session's Observer records into any MeterProvider; here an SDK one
// with a manual reader stands in for an exporter, and the callbacks are
// called by hand as a session would call them through a drop.
func ExampleMetrics_Observer() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m, _ := observability.New(observability.Config{MeterProvider: mp})
	defer m.Close()

	obs := m.Observer("986112045") // connector.Config{…, Observer: obs}
	obs.StateChanged(connector.StateConnecting, connector.StateSubscribed)
	fmt.Println("ready:", m.Ready())
	obs.StateChanged(connector.StateSubscribed, connector.StateReconnecting)
	obs.Retrying(connector.Failure{Stage: connector.StageLive, Class: connector.ClassRetry}, 800*time.Millisecond)
	fmt.Println("ready while reconnecting:", m.Ready())

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, metric := range sm.Metrics {
			if sum, ok := metric.Data.(metricdata.Sum[int64]); ok && metric.Name == "confwatch.session.reconnects" {
				class, _ := sum.DataPoints[0].Attributes.Value("confwatch.class")
				fmt.Println(metric.Name, class.AsString(), sum.DataPoints[0].Value)
			}
		}
	}
	// Output:
	// ready: true
	// ready while reconnecting: false
	// confwatch.session.reconnects retry 1
}
