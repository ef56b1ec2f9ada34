// Package registryauth owns the login slipway presents to a registry, for every pull, build and
// push of every action: the docker config, read with the docker CLI's own code (its auths,
// credsStore and credHelpers, which docker/login-action writes), the logins an action is given as
// inputs, and how a registry is named for a login — Host, where Docker Hub's aliases are docker.io,
// and ConfigKey, the key the docker config and the engine give Docker Hub.
//
// The sources are asked in one order: Given (an action's own username/password, which win over the
// docker config as a `docker login` run just before would have overwritten its entry), then the
// docker config, then Fallback (a login for a registry the docker config has none for).
//
// "No login" means anonymous, as `docker pull` goes without one: a registry has none when no source
// has one for it — no docker config directory was given, the directory has no config.json, neither
// config.json nor its credential helper has an entry for the registry, or the entry has no user
// name, password, identity token or registry token. A config.json that exists but cannot be read or
// parsed, or a credential helper that fails, is an error, never "no login": the user's login must
// not quietly turn into an anonymous pull that fails later for a reason that names something else.
//
// It talks to no registry and gets no ECR token: package registry does.
package registryauth
