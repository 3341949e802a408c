"""The outside world as the cluster reaches it: HTTPS servers for the hosts of `world/catalogue/internet.yaml`
(PyPI with the wheels of this environment, GitHub's model URL, Wikimedia's photo), certified by the world's CA.
The wiring gives them listening sockets at the hosts' addresses (`servers.serve`)."""
