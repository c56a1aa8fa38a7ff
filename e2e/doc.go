// Package e2e holds the tests that follow a request through the whole of
// BotGate: a platform's push or an ERP's call over real HTTP on 127.0.0.1,
// the App on a real SQLite file, a connector, and a fake platform answering
// as the real one does. The apiserver package's own tests name no platform.
package e2e
