"""The collections dashboard (Streamlit): `streamlit run dashboard/app.py` or `collections serve`.

`app.py` routes to the pages in `app_pages/`; `data.py` is the only module that reads the
warehouse; `format.py` writes money, rates and months the same way everywhere.
"""
