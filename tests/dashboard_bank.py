"""The tiny bank (conftest.py) with a collections February, for the dashboard's pages.

On top of the three accounts and their Jan/Feb month ends: two agents, five contacts, two
promises, two payments and one plan, all in February 2024 (Shanghai time; 5 Feb is a Monday):

    agent  name  team   agency
    AG1    Li    Early  in_house
    AG2    Wang  Late   Huaxin Recovery

    attempt  account  agent  when               channel  party   outcome
    k1       A2       AG1    Mon 5 Feb 10:00    call     debtor  right_party
    k2       A2       AG1    Mon 5 Feb 10:30    call     debtor  promise_to_pay  -> pr1 500 by 8 Feb
    k3       A3       AG2    Mon 5 Feb 23:00    call     none    no_answer       (two breaches)
    k4       A3       AG2    Tue 6 Feb 11:00    call     debtor  promise_to_pay  -> pr2 200 by 9 Feb
    k5       A1       AG1    Tue 6 Feb 09:30    sms      none    sms_delivered

    payments: A2 500 on 7 Feb (pr1 kept), A3 50 on 10 Feb (pr2 partial: 50 of 200 within the
    3 grace days); plan PL1: A3, instalment, 6 x 520, requested 6 Feb, active.

So in February: 5 attempts, 3 connects (k1, k2, k4), 3 right-party contacts, 2 promises; by
channel call 4 attempts / 3 RPC (75.0%), sms 1 / 0. Promise-kept rate 1 / 2 = 50.0%. k3 at 23:00
on a working day breaks the bank's calling hours (bank · calling_hours) and China's quiet hours
(china · quiet_hours): 2 breaches, agent AG2, team Late, account A3.
"""

# ruff: noqa: E501  (CSV rows are kept whole, as a reader checks them)

from __future__ import annotations

from conftest import TINY_FILES

DASHBOARD_FILES: dict[str, str] = {
    **TINY_FILES,
    "agents_20240131.csv": (
        "agent_id,agent_name,team,agency\nAG1,Li,Early,in_house\nAG2,Wang,Late,Huaxin Recovery\n"
    ),
    "contacts_20240206.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "k1,A2,AG1,call,2024-02-05 10:00:00,13987654321,debtor,right_party\n"
        "k2,A2,AG1,call,2024-02-05 10:30:00,13987654321,debtor,promise_to_pay\n"
        "k3,A3,AG2,call,2024-02-05 23:00:00,13700001111,none,no_answer\n"
        "k4,A3,AG2,call,2024-02-06 11:00:00,13700001111,debtor,promise_to_pay\n"
        "k5,A1,AG1,sms,2024-02-06 09:30:00,13812345678,none,sms_delivered\n"
    ),
    "promises_20240206.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "pr1,A2,k2,AG1,2024-02-05 10:30:00,2024-02-08,500.00\n"
        "pr2,A3,k4,AG2,2024-02-06 11:00:00,2024-02-09,200.00\n"
    ),
    "payments_20240210.csv": (
        "payment_id,account_id,paid_at,amount,channel\n"
        "Y1,A2,2024-02-07 12:00:00,500.00,app\n"
        "Y2,A3,2024-02-10 12:00:00,50.00,bank_transfer\n"
    ),
    "plans_20240206.csv": (
        "plan_id,account_id,plan_type,requested_at,start_date,instalments,instalment_amount,status\n"
        "PL1,A3,instalment,2024-02-06 11:30:00,2024-02-15,6,520.00,active\n"
    ),
}


# --- The dashboard bank and a week later: a promise falling due in the next month -------------
# On top of DASHBOARD_FILES (for the contact and promise views the pages read):
#
#     attempt  account  agent  when               channel  party   outcome
#     k6       A2       AG2    Thu 29 Feb 15:00   call     debtor  promise_to_pay  -> pr3 100 by 4 Mar
#
#     payment: A2 100 on 1 Mar (pr3 kept, in March: its promised date's month; last touch k6).
#     plans:   PL2 A1 extension from 5 Feb, completed; PL3 A2 instalment from 10 Feb, broken.
NEXT_MONTH_FILES: dict[str, str] = {
    **DASHBOARD_FILES,
    "contacts_20240229.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,outcome\n"
        "k6,A2,AG2,call,2024-02-29 15:00:00,13987654321,debtor,promise_to_pay\n"
    ),
    "promises_20240229.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "pr3,A2,k6,AG2,2024-02-29 15:00:00,2024-03-04,100.00\n"
    ),
    "payments_20240301.csv": (
        "payment_id,account_id,paid_at,amount,channel\nY3,A2,2024-03-01 12:00:00,100.00,app\n"
    ),
    "plans_20240229.csv": (
        "plan_id,account_id,plan_type,requested_at,start_date,instalments,instalment_amount,status\n"
        "PL2,A1,extension,2024-02-01 10:00:00,2024-02-05,,,completed\n"
        "PL3,A2,instalment,2024-02-08 10:00:00,2024-02-10,3,700.00,broken\n"
    ),
}


# --- A bank of breaches -------------------------------------------------------------------------
# The tiny bank's accounts with the two agents of DASHBOARD_FILES and eight calls, seven of them
# breaking rules (working days, Shanghai time; the bank calls 09-12 and 14-18, China's quiet hours
# are 22-08, third parties only with the customer's authorisation, which nobody gave):
#
#     attempt  account  agent  when               channel  party        breaks
#     b5       A3       AG2    Wed 10 Jan 19:00   call     none         bank.calling_hours
#     b1       A2       AG1    Mon  5 Feb 23:00   call     none         bank.calling_hours, china.quiet_hours
#     b2       A2       AG1    Tue  6 Feb 19:00   call     none         bank.calling_hours
#     b8       A2       AG1    Tue  6 Feb 20:00   call     none         bank.calling_hours
#     b3       A2       AG2    Tue  6 Feb 13:00   call     none         bank.calling_hours
#     b4       A3       AG2    Wed  7 Feb 23:30   call     third party  bank.calling_hours, bank.unauthorised_third_party,
#                                                          (friend)     china.quiet_hours, china.unrelated_third_party
#     b6       A1       AG1    Wed  7 Feb 10:00   call     debtor       nothing
#     b7       A1       (none) Thu  8 Feb 23:00   sms      none         china.quiet_hours (an SMS is no call for the bank)
BREACH_FILES: dict[str, str] = {
    **TINY_FILES,
    "agents_20240131.csv": DASHBOARD_FILES["agents_20240131.csv"],
    "contacts_20240208.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,third_party_relation,outcome\n"
        "b5,A3,AG2,call,2024-01-10 19:00:00,13700001111,none,,no_answer\n"
        "b1,A2,AG1,call,2024-02-05 23:00:00,13987654321,none,,no_answer\n"
        "b2,A2,AG1,call,2024-02-06 19:00:00,13987654321,none,,no_answer\n"
        "b8,A2,AG1,call,2024-02-06 20:00:00,13987654321,none,,no_answer\n"
        "b3,A2,AG2,call,2024-02-06 13:00:00,13987654321,none,,no_answer\n"
        "b4,A3,AG2,call,2024-02-07 23:30:00,13900002222,third_party,friend,third_party\n"
        "b6,A1,AG1,call,2024-02-07 10:00:00,13812345678,debtor,,right_party\n"
        "b7,A1,,sms,2024-02-08 23:00:00,13812345678,none,,sms_delivered\n"
    ),
}
