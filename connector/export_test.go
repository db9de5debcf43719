package connector

// DecodeFrame is the reader's decoder, for tests that predict what the
// reader makes of a frame.
var DecodeFrame = decodeFrame
