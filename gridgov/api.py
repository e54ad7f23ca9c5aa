from ninja import NinjaAPI

api = NinjaAPI(title="gridgov API", version="1")
