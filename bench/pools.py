"""Word and phrase pools for the synthetic interview generator.

Everything here is fictional. The pools are combinatorial (names x surnames,
prefixes x case words, sentence cores x slots x tails) so a corpus of
thousands of interviews is varied enough that embedding, BM25 and dedup costs
resemble a real case base rather than one text repeated.
"""
from __future__ import annotations

FIRST = (
    "Anne Mette Lars Søren Karen Jens Hanne Peter Lone Henrik Birgitte Mikkel Camilla Rasmus Trine "
    "Jesper Louise Morten Signe Thomas Maja Kasper Helle Anders Ida Niels Pernille Jakob Line Ole "
    "Marianne Frederik Sofie Bo Tove Emil Ulla Christian Rikke Kim Astrid Palle Gitte Martin Sanne"
).split()
LAST = (
    "Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen "
    "Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Holm Kjær Lund "
    "Bech Dahl Graversen Skov Bruun Lindberg Frost Vestergaard Mikkelsen Krogh Winther Juhl Bak"
).split()
ROLES = [
    "Kommunikationschef", "bibliotekar", "biblioteksleder", "projektleder", "formidler",
    "kulturkonsulent", "afdelingsleder", "børnebibliotekar", "udviklingskonsulent", "områdeleder",
    "frivilligkoordinator", "kultur- og fritidschef", "læsekonsulent", "innovationsmedarbejder",
]
CITIES = (
    "Herning Vejle Odense Aarhus Aalborg Randers Viborg Holstebro Silkeborg Horsens Kolding Esbjerg "
    "Næstved Roskilde Hjørring Svendborg Ringkøbing Skive Thisted Frederikshavn Slagelse Haderslev "
    "Sønderborg Nyborg Lemvig Struer Ikast Brande Billund Varde Tønder Assens Faaborg Kalundborg"
).split()
ORG_KINDS = ["Bibliotekerne", "Bibliotek", "Centralbibliotek", "Kommunes Biblioteker", "Bibliotek og Borgerservice"]
PARTNERS = [
    "Messecenter {city}", "Team Teatret", "{city} Kommune", "{city} Museum", "Ungdomsskolen i {city}",
    "FOF {city}", "Dansk Flygtningehjælp", "{city} Gymnasium", "Røde Kors {city}", "{city} Boldklub",
    "Sundhedscentret", "Jobcentret i {city}", "Lokalhistorisk Arkiv", "{city} Musikskole",
    "Erhvervsskolen i {city}", "Ældresagen {city}", "Foreningen Læselyst", "{city} Kunstforening",
    "Boligselskabet {city}", "Naturstyrelsen", "Spejderne i {city}", "Højskolen ved {city}",
]
CASE_A = [
    "Sanse", "Læse", "Fortælle", "Kultur", "Lytte", "Maker", "Skrive", "Natur", "Film", "Spil",
    "Historie", "Musik", "Digital", "Sprog", "Familie", "Senior", "Bog", "Ord", "Billed", "Lokal",
]
CASE_B = [
    "fortællingen", "båden", "caféen", "festivalen", "værkstedet", "rummet", "bussen", "klubben",
    "sporet", "laboratoriet", "ugen", "stien", "karavanen", "salonen", "huset", "natten",
]
CASE_KIND = ["en kulturfestival", "en læsekampagne", "en sommerferieaktivitet", "et borgerinddragelsesforløb",
             "et skolesamarbejde", "en integrationsindsats", "en sundhedsindsats", "en lokal kulturnat",
             "en udstilling", "en foredragsrække", "et fødselsdagsjubilæum", "en byfest"]
TARGETS = ["børnefamilier", "unge mellem 14 og 20", "ældre borgere", "nye danskere", "skoleklasser",
           "ordblinde", "jobsøgende", "frivillige", "lokale foreninger", "ikke-brugere af biblioteket"]

# Question wordings per theme: the benchmark wants varied questions, not one template.
QUESTIONS: dict[str, list[str]] = {
    "erfaringer": ["Hvilke erfaringer har I fået ved at arbejde med partnerskaber?",
                   "Hvad har I lært af samarbejdet med {partner}?",
                   "Hvilke erfaringer vil du give videre til andre biblioteker?"],
    "udfordringer": ["Hvad er de største udfordringer ved at arbejde med partnerskaber?",
                     "Hvad var svært i samarbejdet om {case}?",
                     "Hvor opstod der gnidninger undervejs?"],
    "barrierer": ["Hvilke organisatoriske barrierer opstår der i arbejdet med partnerskaber?",
                  "Hvad står i vejen for flere partnerskaber i jeres organisation?",
                  "Hvilke barrierer mødte I internt i {org}?"],
    "formål": ["Hvad har været formålet med at indgå partnerskaber?",
               "Hvorfor valgte I at gå sammen med {partner}?",
               "Hvad ville I opnå med {case}?"],
    "resultater": ["Hvad kan man konkret få ud af at arbejde i partnerskaber med biblioteker?",
                   "Hvilke resultater kom der ud af {case}?",
                   "Hvad er du mest stolt af i projektet?"],
    "ressourcer": ["Hvilke ressourcer har partnerskabet krævet?",
                   "Hvordan fordelte I ressourcerne mellem partnerne?",
                   "Hvad bidrog hver partner med?"],
    "tid": ["Hvor meget tid skal man afsætte til et partnerskab?",
            "Hvordan har tidsplanen holdt?",
            "Hvornår begyndte samarbejdet at give noget igen?"],
    "forventninger": ["Hvordan afstemte I forventningerne fra starten?",
                      "Levede samarbejdet op til jeres forventninger?",
                      "Hvad ville du gøre anderledes i forventningsafstemningen?"],
    "netværk": ["Hvilken betydning har partnerskabet haft for jeres netværk?",
                "Har samarbejdet åbnet døre til nye partnere?",
                "Hvordan bruger I netværket i dag?"],
    "frivillige": ["Hvilken rolle spiller frivillige i partnerskabet?",
                   "Hvordan rekrutterer og fastholder I frivillige?",
                   "Hvad kræver det at arbejde sammen med frivillige?"],
    "finansiering": ["Hvordan blev projektet finansieret?",
                     "Hvad betyder ekstern finansiering for partnerskabet?",
                     "Hvad sker der, når projektmidlerne slipper op?"],
    "evaluering": ["Hvordan evaluerer I partnerskabet?",
                   "Hvordan måler I, om {case} lykkes?",
                   "Hvilke data indsamler I om deltagerne?"],
}

# Sentence cores per theme, with slots filled per interview.
CORES: dict[str, list[str]] = {
    "erfaringer": [
        "Partnerskabet har udvidet bibliotekets netværk betydeligt",
        "Vi har fået faglige kompetencer, som ikke var til stede i forvejen",
        "Partnerskaber skal plejes og vedligeholdes, ellers sygner de hen",
        "Det kræver en åben tilgang, fordi {partner} arbejder helt anderledes end os",
        "Vi har lært at sige tydeligt fra, når en opgave ligger uden for vores kerneområde",
        "Samarbejdet med {partner} har givet os et nyt blik på {target}",
        "Vi har erfaret, at små og konkrete aftaler holder bedre end store visioner",
        "Erfaringen er, at det personlige kendskab mellem medarbejderne betyder mest",
    ],
    "udfordringer": [
        "Det er vigtigt med afstemte forventninger og enighed om mål og formål",
        "Ting tager tid, og eksterne partnere arbejder anderledes end en selv",
        "Det var svært at finde fælles mødetider med {partner}",
        "Kommunikationen gik tabt, når kontaktpersonerne skiftede job",
        "Vi undervurderede, hvor meget koordinering {case} krævede",
        "Der opstod tvivl om, hvem der ejede de materialer, vi udviklede sammen",
        "Økonomien var uklar, og ingen havde aftalt, hvem der betalte for hvad",
        "Det var en udfordring at nå {target}, som ikke i forvejen kom på biblioteket",
    ],
    "barrierer": [
        "De involverede medarbejdere skal kende mål og formål med partnerskabet",
        "Ledelsen skal prioritere partnerskabet, ellers bliver det en fritidsopgave",
        "Vores arbejdsgange er bygget til drift og ikke til projekter på tværs",
        "Indkøbsregler og juridiske krav i {city} Kommune bremsede flere idéer",
        "Der er en kultur for, at biblioteket klarer alting selv",
        "Medarbejderne oplevede partnerskabet som noget ekstra oven i en presset hverdag",
        "Det tog lang tid at få en aftale igennem de politiske udvalg",
    ],
    "formål": [
        "Formålet var at løfte opgaver, som biblioteket ikke kunne løfte alene",
        "Vi ville nå {target} på en ny måde",
        "Et delmål var kompetenceudvikling, fordi man lærer meget af sin partner",
        "Vi ønskede at gøre biblioteket synligt uden for de fysiske rammer",
        "Målet var at skabe en event, der kunne samle hele {city}",
        "Vi ville vise, at biblioteket er en attraktiv partner for {partner}",
        "{case} skulle give {target} lyst til at læse og fortælle",
    ],
    "resultater": [
        "Resultatet blev en velbesøgt og velomtalt event med over {n} deltagere",
        "Vi fik løst opgaver, som ellers ikke ville være blevet løst",
        "Biblioteket har positioneret sig som en væsentlig spiller i lokalområdet",
        "Partnerskabet har ført til {k} nye samarbejder efterfølgende",
        "Udlånet i målgruppen steg med omkring {pct} procent",
        "Lokalavisen skrev om {case} flere gange, og det gav nye brugere",
        "Vi fik øjnene op for nye partnere, som kan bruges i andre sammenhænge",
    ],
    "ressourcer": [
        "Vi lagde omkring {hours} timer om ugen i projektet",
        "{partner} bidrog med lokaler og teknik, mens vi stod for formidlingen",
        "Der var afsat {kr} kroner til materialer og markedsføring",
        "Det største bidrag var medarbejdernes tid og engagement",
        "Vi delte en projektmedarbejder med {partner} i {months} måneder",
        "Ressourcerne var for små i starten, og vi måtte skære aktiviteter fra",
    ],
    "tid": [
        "Man skal afsætte den nødvendige tid, for et partnerskab vokser over tid",
        "Det tog {months} måneder, før samarbejdet for alvor fungerede",
        "Tidsplanen skred, fordi godkendelser tog længere tid end ventet",
        "Vi holdt møde hver {weekday}, og det gav en god rytme",
        "Første år gik med at lære hinanden at kende",
    ],
    "forventninger": [
        "Vi skrev en kort samarbejdsaftale med roller og ansvar fra dag ét",
        "Forventningerne blev afstemt på et fælles opstartsmøde med {partner}",
        "Vi burde have talt om økonomi meget tidligere",
        "Samarbejdet levede op til forventningerne, men på en anden måde end planlagt",
        "Næste gang vil vi aftale, hvordan vi stopper samarbejdet igen",
    ],
    "netværk": [
        "Partnerskabet fungerer som netværksskaber i hele kommunen",
        "Gennem {partner} har vi mødt foreninger, vi aldrig havde kontakt med før",
        "Netværket bruger vi i dag, når vi planlægger nye arrangementer",
        "Det har givet os en plads i kommunens tværgående fora",
        "Vi inviterer nu partnerne til en årlig netværksdag på biblioteket",
    ],
    "frivillige": [
        "De frivillige var helt afgørende for, at {case} kunne gennemføres",
        "Vi rekrutterede {k} frivillige gennem {partner}",
        "Frivillige skal have en tydelig rolle og en fast kontaktperson",
        "Det kræver tid at fastholde frivillige, og de skal føle sig værdsat",
        "Nogle frivillige blev siden ansat som studentermedhjælpere",
    ],
    "finansiering": [
        "Projektet blev finansieret af Slots- og Kulturstyrelsen og egne midler",
        "Uden ekstern finansiering var {case} aldrig kommet i gang",
        "Vi søgte {k} fonde og fik penge fra to af dem",
        "Når projektmidlerne slipper op, skal aktiviteterne kunne leve i driften",
        "Partnerne betalte hver en tredjedel af udgifterne",
    ],
    "evaluering": [
        "Vi tæller deltagere, men ser også på, hvor mange der kommer igen",
        "Vi lavede en spørgeskemaundersøgelse blandt {target}",
        "Evalueringen viste, at {pct} procent ville deltage igen",
        "Vi holdt et evalueringsmøde med {partner} efter hver sæson",
        "Det er svært at måle effekten på lang sigt",
    ],
}
TAILS = [
    "", "", "", "", "", ", især i opstartsfasen", ", hvilket vi ikke havde forudset", ", men det tog tid",
    ", og det vil vi gerne gentage", " i forhold til det organisatoriske", ", også økonomisk",
    " – det er min klare oplevelse", ", selv om det ikke altid var let", " i hele projektperioden",
    ", og det mærker vi stadig", " sammen med {partner}", " her i {city}",
    " i {year}", ", i hvert fald i begyndelsen", ", og det overraskede os", " efter de første {months} måneder",
    ", som {name2} fra {partner} også påpegede", ", hvis du spørger mig", " – også på ledelsesniveau",
]
PREFIXES = ["Helt konkret: ", "Kort sagt: ", "Set i bakspejlet: ", "For os gælder det, at ", "Jeg synes, at ",
            "Min vurdering er, at ", "Ærligt talt: ", "Det skal siges, at ", "Overordnet set: ", "Man må sige, at "]
# Synonym swaps applied at random: the same core rarely comes out word-for-word the same.
SYNONYMS = {
    "partnerskabet": ["samarbejdet", "partnerskabet", "projektet"],
    "vigtigt": ["vigtigt", "afgørende", "helt centralt"],
    "medarbejderne": ["medarbejderne", "kollegerne", "personalet"],
    "svært": ["svært", "vanskeligt", "en udfordring"],
    "tid": ["tid", "tid og tålmodighed", "tid"],
    "nye": ["nye", "flere nye", "helt nye"],
    "meget": ["meget", "rigtig meget", "en hel del"],
    "biblioteket": ["biblioteket", "biblioteket", "vores bibliotek"],
    "deltagere": ["deltagere", "gæster", "besøgende"],
    "aftale": ["aftale", "kontrakt", "overenskomst"],
}
GENERAL = [
    "Det er vigtigt at huske", "Det har betydet meget for medarbejderne", "Det siger noget om, hvor langt vi er nået",
    "Det har vi talt meget om i ledergruppen", "Det er noget, vi vil arbejde videre med", "Det kan andre biblioteker lære af",
]
