package datasource

// DropIdleConns makes both pools of s close every connection as soon as it
// is released, so each later statement opens a new one: the tests of the
// per-connection state database check need new connections on demand.
func DropIdleConns(s Source) {
	q := s.(*SQL)
	q.rw.SetMaxIdleConns(0)
	q.ro.SetMaxIdleConns(0)
}
