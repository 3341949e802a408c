"""Request and response bodies on the wire: JSON, YAML and protobuf decoding, patches, as k8s.io/apimachinery's
serializers and k8s.io/apiserver's handlers read them."""
