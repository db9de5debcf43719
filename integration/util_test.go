package integration_test

import (
	"errors"

	"github.com/confwatch/confwatch/connector"
)

func errorsIsEnded(err error) bool { return errors.Is(err, connector.ErrMeetingEnded) }
