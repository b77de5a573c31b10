"""One client module per external service; every outbound HTTP call goes through them."""
