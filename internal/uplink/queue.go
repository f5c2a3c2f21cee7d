package uplink

// Queue is the edge's on-disk queue of records waiting for the hub (being written).
type Queue struct{}
