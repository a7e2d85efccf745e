"""The HTTP decision point: AuthZEN Authorization API 1.0 and native endpoints over a PolicyStore.

Imported only by ``python -m kdv_policy serve`` (and by apps that mount it), never by
``import kdv_policy``: Starlette, uvicorn and prometheus_client load with the service.

``config`` (the settings), ``wire`` (reading requests, writing responses and errors),
``state`` (one policy version with its derived policies and decision cache), ``authzen``
(AuthZEN requests → policy questions), ``native`` (the ``/v1`` endpoints), ``metrics``
(Prometheus), ``openapi`` (the OpenAPI document) and ``app`` (the ASGI application: routes,
middleware, reloads).
"""
