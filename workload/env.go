package main

import (
	"fmt"
	"net/url"
	"strings"
)

// checkEnv returns the line to print on success, or the reason to refuse to
// start. Neither ever contains the value verbatim: these variables usually come
// from Secrets, and container logs are far less protected than Secrets are.
func checkEnv(name, prefix string, lookupEnv func(string) (string, bool)) (string, error) {
	v, ok := lookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set; cannot start", name)
	}
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set (it is empty); cannot start", name)
	}
	if prefix == "" {
		return fmt.Sprintf("%s is set (%d bytes)", name, len(v)), nil
	}
	if !strings.HasPrefix(v, prefix) {
		return "", fmt.Errorf("%s=%s does not look like a %s... URL; cannot start", name, redact(v), prefix)
	}
	if endpoint, ok := endpointOf(v); ok {
		return "connected to " + endpoint, nil
	}
	return fmt.Sprintf("%s is set (%d bytes)", name, len(v)), nil
}

// endpointOf keeps only scheme and host, the part that helps debugging and
// never holds credentials.
func endpointOf(v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// redact shows enough of a wrong value to recognise it (a URL's endpoint, or a
// value's first characters) without leaking it: a mis-wired secretKeyRef can
// put a bare password where a URL was expected.
func redact(v string) string {
	if endpoint, ok := endpointOf(v); ok {
		return endpoint + "/..."
	}
	const shown = 4
	if len(v) <= 2*shown {
		return fmt.Sprintf("<%d bytes, hidden>", len(v))
	}
	return fmt.Sprintf("%q... (%d bytes)", v[:shown], len(v))
}
