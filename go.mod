module github.com/slipway-actions/slipway

go 1.26.8

require (
	github.com/sethvargo/go-githubactions v1.3.2
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/docker/docker v28.5.2+incompatible // indirect
