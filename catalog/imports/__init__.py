"""Loading a shop's stock from files (CSV from till software, ONIX 3.0) and the API.

readers (csv_reader, onix) turn a file into StockRow records without judging them;
the planner (plan.py) validates each row against the catalogue and the shop's stock
and says what it would do; apply.py does it in one transaction.
"""
