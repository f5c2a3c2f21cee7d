// Package uplink carries what an edge node tells the cloud hub — hazard lifecycle events,
// per-tile traffic aggregates, edge health — and what the hub sends back down (authority
// hazards), reliably, over QUIC with mutual TLS (ALPN "michi-uplink/1"). The wire protocol is
// written down in docs/uplink-protocol.md.
//
// It owns:
//   - Record and its payloads (HazardEvent, TrafficAggregate, Health) and AuthorityHazard: the
//     data model of the link, msgpack-encoded with snake_case names.
//   - Queue (edge side): an on-disk append-only queue of Records. Append assigns Seq (strictly
//     increasing, never reused, also across restarts), Ack trims, Pending reads what the hub
//     still needs. Crash-safe (length + CRC per record; a torn tail is truncated on open),
//     bounded (MaxBytes, MaxRecords) with a stated drop policy: traffic and health are dropped
//     oldest-first, hazards never (see Queue).
//   - Client (edge side): dials the hub, says Hello, resumes from the hub's high-water mark,
//     streams records as they become durable, applies Acks to the Queue, hands authority hazards
//     to OnAuthority, and reconnects with exponential backoff and jitter. Queue.Append never
//     waits for the network: the edge keeps serving vehicles while the hub is away.
//   - Server (hub side): accepts edges, takes each edge's identity from its verified client
//     certificate's CommonName, stores batches through a Sink exactly once by the per-edge
//     high-water mark, acks them, and delivers authority hazards (SendAuthority) at least once.
//     Each edge has its own goroutines and deadlines: a slow or hostile edge blocks nobody else.
//   - Sink: the interface the hub's storage implements; MemorySink is an in-memory reference.
//
// Exactly once: every record carries (edge id, seq). The Sink stores records with a seq above
// the edge's stored mark, and the mark, in one transaction; the edge keeps every record until an
// Ack (or a Welcome) reports a mark at or above it, and after a reconnect resends from the
// hub's mark. The Client sends only records the Queue has fsynced, so a mark the hub holds
// never exceeds what survives a power loss at the edge, and a seq is never reused for a
// different record.
//
// Power failure at the edge loses at most the records appended since the last fsync: those of
// the last SyncInterval (default 50 ms), fewer when SyncEvery (default 256) come sooner, plus
// any appended while that fsync ran. The hub never had them. A failed fsync is never retried on
// the same file — after one, the kernel may have dropped the unwritten pages and a retry can
// succeed without them — so the records not yet proven durable are rewritten to a new file and
// fsynced there; if that fails too, the Queue stops (ErrSyncFailed): it cuts those records off,
// takes no more, and keeps serving and acknowledging what was durable (Queue.recoverSync).
//
// Lock rules: Queue has one mutex for its state (fsync runs outside it) and an inner one that
// only serialises state file writes (see Queue); Server's and a session's locks never nest (see
// Server). Client state is owned by its Run goroutine; Stats reads atomics.
//
// Wiring order: open the Queue, start Client.Run; on shutdown cancel Run's context and wait
// for it before Queue.Close. The PKI for the mutual TLS is in internal/tlsconf (NewCA,
// CA.IssueServer for the hub, CA.IssueClient per edge: the CommonName is the edge id).
//
// This package imports pkg/geo, pkg/v2x, internal/tlsconf, quic-go and msgpack. It must not
// import internal/edge, internal/hub or any storage driver: the edge and the hub import it.
package uplink
