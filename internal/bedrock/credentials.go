package bedrock

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// taggedCredentials marks failures to obtain credentials so that they can be
// told apart from other failures without matching SDK message text.
type taggedCredentials struct {
	aws.CredentialsProvider
}

func (p taggedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err: err}
	}
	return c, nil
}

// ProviderSources keeps the SDK's user-agent credential-source reporting.
func (p taggedCredentials) ProviderSources() []aws.CredentialSource {
	if s, ok := p.CredentialsProvider.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// credentialsError is a failure of the credential chain: no credentials
// found, an expired SSO session, an unreadable profile.
type credentialsError struct {
	err error
}

func (e *credentialsError) Error() string { return "aws credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }
