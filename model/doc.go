// Package model holds BotGate's domain types: the vocabulary that storage,
// app, the HTTP API and the window share. It imports nothing of BotGate, so
// every other package may use it without a cycle; storage fills these types
// from its tables, and a column change stays inside storage.
package model
