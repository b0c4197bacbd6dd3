package coordinator

import (
	"context"

	"github.com/nistgmm/nistgmm/federation/pki"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// caller is who sent a request, from the verified client certificate.
type caller struct {
	name string
	role pki.Role
}

// callerOf reads the verified TLS certificate of the request's connection:
// the only source of a caller's id.
func callerOf(ctx context.Context) (caller, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return caller{}, status.Error(codes.Unauthenticated, "no peer")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return caller{}, status.Error(codes.Unauthenticated, "no verified client certificate")
	}
	leaf := info.State.VerifiedChains[0][0]
	return caller{name: leaf.Subject.CommonName, role: pki.RoleOf(leaf)}, nil
}

// need checks that the caller's certificate has role and, when the
// message names a site, that it is the certificate's name.
func need(ctx context.Context, role pki.Role, claimed string) (caller, error) {
	who, err := callerOf(ctx)
	if err != nil {
		return who, err
	}
	if who.role != role {
		return who, status.Errorf(codes.PermissionDenied, "certificate %q is a %s's; this call needs a %s's", who.name, who.role, role)
	}
	if claimed != "" && claimed != who.name {
		return who, status.Errorf(codes.PermissionDenied, "the message names site %q but the certificate is %q: a site's id is its certificate's name", claimed, who.name)
	}
	return who, nil
}
