package tmpdeps

import (
	_ "github.com/eclipse/paho.mqtt.golang"
	_ "github.com/mochi-mqtt/server/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/stretchr/testify/require"
	_ "github.com/tidwall/rtree"
	_ "github.com/vmihailenco/msgpack/v5"
	_ "github.com/gorilla/websocket"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
)
