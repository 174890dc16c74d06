"""The Cloud API façade (Graph: ``/{version}/{phone_number_id}/messages`` and friends)."""
