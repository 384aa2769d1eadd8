from rest_framework import exceptions, status


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This scheduling link is no longer valid."
    default_code = "gone"
