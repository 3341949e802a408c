"""The world the cluster runs on: the machines, NAS, images and hardware profiles behind the nodes, with the models
of what containers do (workloads, fio, metrics), the seeded cluster and its spec."""
