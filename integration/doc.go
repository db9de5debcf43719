// Package integration holds end-to-end tests of confwatch: the token
// chain, the connector, the dispatcher and the meeting state together
// against integration/fakemeeting. It has no non-test code beyond this
// comment; see fakemeeting for the fake service itself.
package integration
