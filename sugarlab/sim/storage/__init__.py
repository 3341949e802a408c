"""The object store and what reads it, as etcd/kine and k8s.io/apiserver/pkg/storage: objects and resource
versions, watches, paging, events, deletion and list options."""
